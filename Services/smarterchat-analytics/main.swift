print("smarterchat-analytics: not built yet")
