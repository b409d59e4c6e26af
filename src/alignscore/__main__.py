from alignscore.cli import main

main()
