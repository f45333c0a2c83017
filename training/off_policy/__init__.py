"""Off-policy evaluation of feed rankings from explored (Plackett–Luce) slates."""
