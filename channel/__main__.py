import sys

from channel.cli import main

sys.exit(main())
