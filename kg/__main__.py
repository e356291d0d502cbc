from kg.cli.entry import main

main()
