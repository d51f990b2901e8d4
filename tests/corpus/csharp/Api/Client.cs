using System;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Threading.Tasks;

namespace Acme.Api
{
    // Ünïcode in comments: café — 😀.
    public class Client
    {
        private readonly HttpClient _http;

        public Client()
        {
            var handler = new HttpClientHandler();
            handler.ServerCertificateCustomValidationCallback = (msg, cert, chain, errors) => true;
            _http = new HttpClient(handler);
        }

        public static void Legacy(HttpClientHandler h)
        {
            ServicePointManager.ServerCertificateValidationCallback += (s, c, ch, e) => true;
            h.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
            h.ServerCertificateCustomValidationCallback = (m, c, ch, e) => e == SslPolicyErrors.None;
        }

        public async void Refresh()
        {
            try
            {
                await _http.GetAsync("https://api.acme.com/refresh");
            }
            catch (HttpRequestException) { }
        }

        public async Task RefreshAsync()
        {
            try
            {
                await _http.GetAsync("https://api.acme.com/refresh");
            }
            catch (HttpRequestException ex)
            {
                Console.Error.WriteLine(ex);
                throw;
            }
        }

        private async void OnClick(object sender, EventArgs e)
        {
            await RefreshAsync();
        }
    }
}
