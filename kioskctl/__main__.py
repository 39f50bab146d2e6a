from kioskctl import main

main()
