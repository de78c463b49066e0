print("smarterchat-crm: not built yet")
