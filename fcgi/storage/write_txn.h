// WriteTxn: a write transaction in progress, as an engine hands it to the
// code that joins it (Outbox::Enqueue inside Store::Register). Only the
// engine that made one reads it.
#ifndef FCGI_STORAGE_WRITE_TXN_H_
#define FCGI_STORAGE_WRITE_TXN_H_

namespace reg {

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;
};

}  // namespace reg

#endif  // FCGI_STORAGE_WRITE_TXN_H_
