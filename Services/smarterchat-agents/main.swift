print("smarterchat-agents: not built yet")
