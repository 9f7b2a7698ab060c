import asyncio
from recommender.config import MailSettings
from recommender.digest.send import SmtpSender

def test_leaks(smtp_server):
    async def go():
        s = SmtpSender(MailSettings(host="127.0.0.1", port=smtp_server.port, security="none"), None, local_hostname="x")
        await s.send(b"Subject: x\r\n\r\nx\r\n", "a@b.org", ["c@d.org"])
        return s
    global KEEP
    KEEP = asyncio.run(go())
