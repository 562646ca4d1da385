"""`python -m kgqa` runs the command line (same as the `kgqa` script)."""
import sys

from kgqa.cli import main

sys.exit(main())
