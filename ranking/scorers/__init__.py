"""Scorers: a `RankerModel` (LightGBM, torch, or the heuristic) behind one interface, chosen by config `type`."""
