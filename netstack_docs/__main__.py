from netstack_docs.entry import main

main()
