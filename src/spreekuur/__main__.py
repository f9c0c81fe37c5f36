from spreekuur.manage import main

main()
