//go:build !linux

package session

import "net"

// watcher is the idle watcher, which needs epoll: elsewhere a session's
// response loop waits for its backend itself.
type watcher struct{}

type watch struct{}

func idleWatcher() *watcher { return nil }

func watchable(net.Conn) bool { return false }

func (w *watcher) arm(*watch, net.Conn, uint32, func(uint32)) error { return net.ErrClosed }

func (w *watcher) forget(*watch) {}
