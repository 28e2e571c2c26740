"""The election definition, the signed election package and ballot choices."""
