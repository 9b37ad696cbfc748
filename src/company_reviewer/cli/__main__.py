from company_reviewer.cli import main

main()
