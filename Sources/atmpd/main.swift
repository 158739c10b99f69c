print("atmpd: not yet")
