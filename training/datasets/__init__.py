"""Training sets read from the social core's tables."""
