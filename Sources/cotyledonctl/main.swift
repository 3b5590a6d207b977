CotyledonControl.main()
