"""`python -m newswire_clean.eval [EXTRACTION_DIR]`: print the cleaner's F1 per input kind."""

from .evaluation import main_eval

if __name__ == "__main__":
    raise SystemExit(main_eval())
