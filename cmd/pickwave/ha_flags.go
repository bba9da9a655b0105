package main

import (
	"flag"
)

// etcdFlags are the flags that name a site and say how to reach its etcd
// cluster: serve has them, and so have the commands that work on a site
// (ha, and backup, check and restore with --etcd).
type etcdFlags struct {
	endpoints string
	h         HAConfig
}

// addEtcdFlags defines the flags on fs; site is --site's default.
func addEtcdFlags(fs *flag.FlagSet, site string) *etcdFlags {
	e := &etcdFlags{}
	fs.StringVar(&e.endpoints, "etcd", "", "comma-separated etcd client `URLs`: the site is replicated on this etcd cluster (see --site)")
	fs.StringVar(&e.h.Site, "site", site, "with --etcd: the site's `name`, its keys under /pickwave/NAME/")
	fs.StringVar(&e.h.CA, "etcd-ca", "", "PEM `file` of the CA of the etcd members' certificates")
	fs.StringVar(&e.h.Cert, "etcd-cert", "", "PEM client certificate `file` for etcd (with --etcd-key)")
	fs.StringVar(&e.h.Key, "etcd-key", "", "PEM private key `file` of --etcd-cert")
	fs.StringVar(&e.h.User, "etcd-user", "", "etcd `user`, when etcd's auth is on")
	fs.StringVar(&e.h.PasswordFile, "etcd-password-file", "", "`file` holding the etcd user's password")
	return e
}

// set copies the flag called name into h when it is one of these; it
// reports whether it was. Call it from fs.Visit, so that only the flags
// given override a config file.
func (e *etcdFlags) set(name string, h *HAConfig) bool {
	switch name {
	case "etcd":
		h.Etcd = splitList(e.endpoints)
	case "site":
		h.Site = e.h.Site
	case "etcd-ca":
		h.CA = e.h.CA
	case "etcd-cert":
		h.Cert = e.h.Cert
	case "etcd-key":
		h.Key = e.h.Key
	case "etcd-user":
		h.User = e.h.User
	case "etcd-password-file":
		h.PasswordFile = e.h.PasswordFile
	default:
		return false
	}
	return true
}

// flagGiven reports whether the flag called name was given on the
// command line (fs parsed).
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
