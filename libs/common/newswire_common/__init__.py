"""Shared pieces of the Newswire services: message contracts, settings, logging, broker wiring."""
