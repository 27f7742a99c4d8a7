"""python -m pyfix.embedded: what `make run` runs (see pyfix.embedded)."""

from pyfix.embedded import main

raise SystemExit(main())
