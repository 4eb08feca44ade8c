"""Layouts of the nine synthetic specimen documents, drawn in millimetres on a pixel canvas."""
