print("smarterchatctl: not built yet")
