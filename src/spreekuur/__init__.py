"""Spreekuur: patient portal and practice tools for Dutch general practices."""
