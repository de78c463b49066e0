print("smarterchat-identity: not built yet")
