"""Layers of a fully connected network, each a numpy forward/backward pair."""
