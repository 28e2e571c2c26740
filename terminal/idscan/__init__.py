"""Voter identification: documents, national numbers, the voter register and its marks."""
