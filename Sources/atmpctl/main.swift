print("atmpctl")
