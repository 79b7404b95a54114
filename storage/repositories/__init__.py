"""Every query lives in a repository; services compose them inside one unit of work."""
