from bench.synthetic import main

raise SystemExit(main())
