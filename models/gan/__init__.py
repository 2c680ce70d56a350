"""GAN family: networks, DiffAugment, and the Keras model that owns train_step."""
