# frozen_string_literal: true

require 'open3'

# Exports a customer's files. Ünïcode: café — 😀.
class ExportJob
  ALLOWED = %w[csv json].freeze

  def perform(customer, format)
    system("tar", "czf", "#{customer.id}.tgz", customer.dir)
    system("tar czf #{customer.id}.tgz #{customer.dir}")
    listing = `ls #{customer.dir}`
    count = `ls | wc -l`
    out, _status = Open3.capture2("du -sh #{customer.dir}")
    safe, _status = Open3.capture2("du", "-sh", customer.dir)
    public_send(ALLOWED.include?(format) ? "export_#{format}" : :export_csv)
    eval("@last_#{format} = Time.now")
    instance_eval(customer.hook) if customer.hook
    eval("1 + 1")
    [listing, count, out, safe]
  rescue Exception => e
    logger.error(e.message)
  end

  def retry_later
    yield
  rescue Net::ReadTimeout, Errno::ECONNRESET => e
    logger.warn(e.message)
  end
end
