"""Errors the training and loading code raises; TF-free so any layer can catch them."""


class TrainingError(Exception):
    """Bad input found while preparing or running training; the message is for the user."""


class TrainingAborted(Exception):
    """The caller's abort check asked the training loop to stop; `step` is the last step it trained."""

    def __init__(self, step: int):
        super().__init__(f"stopped at step {step}")
        self.step = step


class ModelNotFoundError(LookupError):
    """No saved model has this id."""
