from netstack_docs.cli import main

main()
