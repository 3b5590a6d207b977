CotyledonDemo.main()
