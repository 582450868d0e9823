'use strict'
// simple-peer 9 tags its errors with a code through err-code's `errCode(err, code)`.
// An error whose `code` cannot be set (a DOMException from the RTC API has a read-only
// one) is wrapped in a new Error that keeps it as `cause`, as err-code does.
module.exports = function errCode(err, code) {
  try {
    err.code = code
    if (err.code === code) return err
  } catch {}
  const wrapped = new Error(err?.message ?? String(err))
  wrapped.code = code
  wrapped.cause = err
  return wrapped
}
