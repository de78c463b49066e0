print("smarterchat-conversations: not built yet")
