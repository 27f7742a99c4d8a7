"""The showq service and the queue listing behind mailq and postqueue."""
