"""After the conversation (SPEC section 9): history, search, customers' API, exports,
retention. The top feature app: it reads enquiries, rooms, channels and customers and is
imported by none of them (they reach it only through hooks registered in ``ready()``)."""
