ipcscope: cannot use --mqueue-dir '/nonexist': No such file or directory
