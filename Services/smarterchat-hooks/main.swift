print("smarterchat-hooks: not built yet")
