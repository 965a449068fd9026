"""Baselines the real tasks are measured against: a smoothed character n-gram language model
(interpolated Kneser-Ney) and the trivial majority-class / persistence / mean predictors."""
from .ngram import KneserNeyLM, ngram_counts
from .trivial import majority_class_accuracy, mean_mse, persistence_mse

__all__ = ["KneserNeyLM", "majority_class_accuracy", "mean_mse", "ngram_counts", "persistence_mse"]
