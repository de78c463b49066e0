print("smarterchat-gateway: not built yet")
