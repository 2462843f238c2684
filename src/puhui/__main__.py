"""``python -m puhui`` runs the CLI."""

import sys

from puhui.cli import main

sys.exit(main())
