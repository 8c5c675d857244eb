"""Third parties of the orders app: the 1688 trade API (`trade1688`) and its local fake."""
