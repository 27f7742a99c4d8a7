# Postfix 3.7.11 (Debian package postfix), /usr/sbin/postconf
# DIR: a directory holding the stock Debian /etc/postfix/master.cf
# (as installed by the package) and an empty main.cf.
# process_id, and the host-dependent values of myhostname, mydomain
# and mynetworks, differ between runs and hosts (see DYNAMIC).
postconf -c DIR -d
