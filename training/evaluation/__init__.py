"""Offline evaluation: a fixed leave-last-out split, ranking metrics and baseline recommenders."""
