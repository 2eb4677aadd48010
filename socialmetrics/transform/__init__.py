"""Transform: the sql/ models in dependency order, and the comment analysis in the same graph."""
