"""Scaffold around the layers: data, batching, optimisation, training, plots."""
