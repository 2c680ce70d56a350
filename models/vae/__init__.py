"""VAE family (Kingma & Welling 2014): encoder + decoder; the decoder serves images by seed."""
