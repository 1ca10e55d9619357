{
  "targets": [
    {
      "target_name": "ecdh",
      "sources": ["src/agreement.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-Wall", "-Wextra"] }
    }
  ]
}
